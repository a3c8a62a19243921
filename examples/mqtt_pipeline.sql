-- Readings arrive as JSON on the MQTT topic `readings`; the hot ones leave as text
-- on the topic `hot` (needs an MQTT broker on 127.0.0.1:1883, e.g. mosquitto).
CREATE SOURCE Readings WITH (type = 'mqtt', url = 'tcp://127.0.0.1:1883', topic = 'readings',
    quality.of.service = '1', map.type = 'json') (sensor string, temp double);
CREATE SINK Hot WITH (type = 'mqtt', url = 'tcp://127.0.0.1:1883', topic = 'hot',
    quality.of.service = '1', map.type = 'text', map.payload = '{{sensor}} is at {{temp}}') (sensor string, temp double);

INSERT INTO Hot
SELECT sensor, temp
FROM Readings
WHERE temp > 30.0;
