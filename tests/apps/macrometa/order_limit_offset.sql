-- Order by, limit and offset (query-guide/order-by, limit-and-offset)
CREATE STREAM Bids (item string, amount double);
INSERT INTO SecondAndThird
SELECT item, max(amount) AS best
FROM Bids WINDOW TUMBLING_TIME(1 min)
GROUP BY item
ORDER BY best DESC
LIMIT 2
OFFSET 1;
