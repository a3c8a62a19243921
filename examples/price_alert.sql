@App:name('price-alert-sql')
@App:playback
@App:qlVersion('2')

CREATE STREAM Trades (symbol string, price double, ts long);

CREATE TABLE LastPrice (symbol string, price double);
CREATE UNIQUE INDEX LastPriceSymbol ON TABLE LastPrice (symbol);

UPDATE OR INSERT INTO LastPrice
SET LastPrice.price = price
ON LastPrice.symbol == symbol
SELECT symbol, price FROM Trades;

partition with (symbol of Trades)
begin
  @info(name = 'surge')
  INSERT INTO Alerts
  SELECT e1.symbol AS symbol, e1.price AS fromPrice, e2.price AS toPrice
  FROM every e1 = Trades[price > 90.0] -> e2 = Trades[price > e1.price * 1.05]
  WITHIN 5 sec;
end;

CREATE SINK Alerts WITH (type = 'log', prefix = 'ALERT') (symbol string, fromPrice double, toPrice double);
