-- expect: 2:30: source type 'kafka'
CREATE SOURCE SensorReadings WITH (type='kafka', bootstrap.servers='127.0.0.1:9092', topic.list='t', map.type='json') (id string, v double);
INSERT INTO Out SELECT id, v FROM SensorReadings;
