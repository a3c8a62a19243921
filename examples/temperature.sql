@App:name('room-temperature-sql')
@App:qlVersion('2')

CREATE STREAM TempStream (deviceID long, roomNo int, temp double);

@info(name = 'valid-readings')
INSERT INTO FahrenheitStream
SELECT roomNo, temp * 9.0 / 5.0 + 32.0 AS tempF
FROM TempStream[temp > -50.0 and temp < 150.0];

@info(name = 'room-average')
INSERT INTO RoomAverageStream
SELECT roomNo, avg(temp) AS avgTemp, count() AS readings
FROM TempStream[temp < 150.0] WINDOW SLIDING_LENGTH(5)
GROUP BY roomNo;
