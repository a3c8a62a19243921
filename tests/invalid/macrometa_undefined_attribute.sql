-- expect: 4:8: 'avgPrice' is not an attribute of Trade
CREATE STREAM Trade (symbol string, price double);
INSERT INTO Out
SELECT avgPrice FROM Trade WINDOW SLIDING_TIME(1 min);
