@App:name('threshold-alert-sql')
@App:playback
@App:qlVersion('2')

CREATE STREAM BoilerReadings (boilerId string, pressure double, celsius double);

@info(name = 'over-pressure')
INSERT INTO PressureAlerts
SELECT boilerId, pressure, ifThenElse(pressure > 10.0, 'critical', 'warning') AS severity
FROM BoilerReadings
WHERE pressure > 8.0;
