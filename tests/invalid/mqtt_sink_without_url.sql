-- expect: 2:20: sink type 'mqtt' needs the option `url`
CREATE SINK Alerts WITH (type='mqtt', topic='alerts', map.type='json') (id string, v double);
CREATE STREAM Readings (id string, v double);
INSERT INTO Alerts SELECT id, v FROM Readings;
