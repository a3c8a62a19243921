@App:name('Stocks-sql')
@App:qlVersion('2')
CREATE STREAM StockStream (symbol string, price double, volume long);
CREATE TABLE StockTable (symbol string, price double, volume long);
CREATE UNIQUE INDEX StockTableSymbol ON TABLE StockTable (symbol);
@info(name = 'filter')
INSERT INTO HighStream
SELECT symbol, price, volume
FROM StockStream
WHERE price > 10;
UPDATE OR INSERT INTO StockTable
SET StockTable.price = price, StockTable.volume = volume
ON StockTable.symbol == symbol
SELECT symbol, price, volume FROM StockStream;
