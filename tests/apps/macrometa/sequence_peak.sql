-- Sequences (query-guide/sequences)
CREATE STREAM Quote (symbol string, price float);
partition with (symbol of Quote)
begin
    INSERT INTO Peaks
    SELECT q1.symbol, q2[last].price AS peak
    FROM every q1 = Quote, q2 = Quote[price > q1.price]+, q3 = Quote[price < q2[last].price]
    WITHIN 5 min;
end;
