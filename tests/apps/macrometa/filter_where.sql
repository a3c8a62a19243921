-- Filters with WHERE after a window (query-guide/filters, having-where)
CREATE STREAM Meter (meterId string, kwh double, region string);
@info(name = 'hungry-meters')
INSERT INTO HungryMeters
SELECT meterId, avg(kwh) AS avgKwh
FROM Meter WINDOW SLIDING_TIME(10 min)
WHERE region == 'north'
GROUP BY meterId
HAVING avgKwh > 5.0;
