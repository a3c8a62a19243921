-- Every window kind in the SQL spelling (windows/window-types)
CREATE STREAM Pulse (deviceId string, bpm int, at long);
INSERT INTO A SELECT deviceId, max(bpm) AS peak FROM Pulse WINDOW SLIDING_LENGTH(20) GROUP BY deviceId;
INSERT INTO B SELECT deviceId, count() AS n FROM Pulse WINDOW TUMBLING_LENGTH(50) GROUP BY deviceId;
INSERT INTO C SELECT avg(bpm) AS avgBpm FROM Pulse WINDOW SLIDING_TIME(30 sec);
INSERT INTO D SELECT avg(bpm) AS avgBpm FROM Pulse WINDOW TUMBLING_TIME(1 min);
INSERT INTO E SELECT deviceId, bpm FROM Pulse WINDOW SLIDING_TIME_LENGTH(2 sec, 10);
INSERT INTO F SELECT sum(bpm) AS total FROM Pulse WINDOW SLIDING_EXTERNAL_TIME(at, 5 sec);
INSERT INTO G SELECT sum(bpm) AS total FROM Pulse WINDOW TUMBLING_EXTERNAL_TIME(at, 1 min);
INSERT INTO H SELECT deviceId, count() AS beats FROM Pulse WINDOW SESSION(5 sec, deviceId) GROUP BY deviceId;
INSERT INTO I SELECT deviceId, bpm FROM Pulse WINDOW SORT(3, bpm, 'desc');
INSERT INTO J SELECT deviceId, bpm FROM Pulse WINDOW DELAY(1 min);
INSERT INTO K SELECT count() AS n FROM Pulse WINDOW CRON('*/5 * * * * ?');
INSERT INTO L SELECT sum(bpm) AS total FROM Pulse WINDOW TUMBLING();
