-- Output rate limiting (query-guide/output-rate-limiting)
CREATE STREAM Heartbeats (node string, load double);
INSERT INTO LatestLoad
SELECT node, load
FROM Heartbeats
GROUP BY node
OUTPUT LAST EVERY 10 sec;
INSERT INTO EveryTenth
SELECT node, load
FROM Heartbeats
OUTPUT FIRST EVERY 10 EVENTS;
INSERT INTO Snapshot
SELECT node, avg(load) AS avgLoad
FROM Heartbeats WINDOW SLIDING_TIME(1 min)
GROUP BY node
OUTPUT SNAPSHOT EVERY 30 sec;
