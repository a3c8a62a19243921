-- Joins of windowed streams (query-guide/join)
CREATE STREAM Temperature (roomNo int, temp double);
CREATE STREAM Regulator (roomNo int, isOn bool);
INSERT INTO RegulatorActions
SELECT T.roomNo, R.isOn, T.temp
FROM Temperature[temp > 30.0] WINDOW SLIDING_TIME(1 min) AS T
JOIN Regulator[isOn == false] WINDOW SLIDING_LENGTH(1) AS R
ON T.roomNo == R.roomNo;
INSERT INTO AllReadings
SELECT T.roomNo, R.isOn
FROM Temperature WINDOW SLIDING_LENGTH(5) AS T
LEFT OUTER JOIN Regulator WINDOW SLIDING_LENGTH(5) AS R
ON T.roomNo == R.roomNo;
