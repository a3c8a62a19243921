-- Named windows and triggers (windows/, triggers)
CREATE STREAM Fares (route string, fare double);
CREATE WINDOW RecentFares (route string, fare double) SLIDING_TIME(1 hour) OUTPUT ALL EVENTS;
CREATE TRIGGER EveryMinute WITH (interval = 1 min);
CREATE TRIGGER AtStart WITH (expression = 'start');
INSERT INTO RecentFares SELECT route, fare FROM Fares;
INSERT INTO FareReport
SELECT e.triggered_time AS at, avg(w.fare) AS avgFare
FROM EveryMinute AS e JOIN RecentFares AS w;
