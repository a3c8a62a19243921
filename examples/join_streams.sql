@App:name('regulator-join-sql')
@App:playback
@App:qlVersion('2')

CREATE STREAM Temperature (roomNo int, temp double);
CREATE STREAM Regulator (roomNo int, isOn bool);

@info(name = 'switch-on')
INSERT INTO RegulatorActions
SELECT T.roomNo AS roomNo, T.temp AS temp, R.isOn AS isOn
FROM Temperature[temp > 30.0] WINDOW SLIDING_TIME(1 min) AS T
JOIN Regulator[isOn == false] WINDOW SLIDING_LENGTH(1) AS R
ON T.roomNo == R.roomNo;
