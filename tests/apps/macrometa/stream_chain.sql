-- Two apps' halves chained through Macrometa streams (docs: cep/source/stream-source.md,
-- cep/sink/stream-sink.md, error-handling/table-error-handling.md), a file source and an
-- inMemory topic.
@App:name('stream-chain')
@App:qlVersion('2')
CREATE SOURCE ErrorStream WITH (type='stream', stream.list='ErrorStream', map.type='json', map.attributes.status = "$.status", map.attributes.count = "$.count") (status string, count long);
CREATE SINK TemperatureOnlyStream WITH (type='stream', stream="TemperatureOnlyStream", replication.type="local", map.type='json') (temperature double);
CREATE SOURCE Readings WITH (type='file', file.uri='file:/tmp/readings.csv', tailing='false', map.type='csv', map.delimiter=';') (temperature double);
CREATE SINK Alerts WITH (type='inMemory', topic='alerts', map.type='text', map.payload='status {{status}} seen {{count}} times') (status string, count long);
INSERT INTO TemperatureOnlyStream SELECT temperature FROM Readings[temperature > 30.0];
INSERT INTO Alerts SELECT status, count FROM ErrorStream;
