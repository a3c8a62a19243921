-- Patterns with counting and within (query-guide/patterns)
CREATE STREAM Door (doorId string, opened bool);
CREATE STREAM Alarm (doorId string);
INSERT INTO Burglary
SELECT d1.doorId, d2[0].doorId AS firstOther, d2[last].doorId AS lastOther
FROM every d1 = Door[opened == true] -> d2 = Door[opened == true and doorId != d1.doorId] < 2: > -> a = Alarm[doorId == d1.doorId]
WITHIN 10 min;
