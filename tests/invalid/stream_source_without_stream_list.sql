-- expect: 2:24: source type 'stream' needs the option `stream.list`
CREATE SOURCE Readings WITH (type='stream', map.type='json') (id string, v double);
CREATE SINK STREAM Out (id string, v double);
INSERT INTO Out SELECT id, v FROM Readings;
