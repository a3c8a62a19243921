-- expect: 2:30: source type 'mqtt'
CREATE SOURCE SensorReadings WITH (type='mqtt', url='tcp://127.0.0.1:1883', topic='t', map.type='json') (id string, v double);
INSERT INTO Out SELECT id, v FROM SensorReadings;
