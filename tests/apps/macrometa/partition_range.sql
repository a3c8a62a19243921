-- Value and range partitions (query-guide/partition)
CREATE STREAM Shipment (carrier string, weight double);
partition with (weight < 10.0 as 'light' or weight >= 10.0 as 'heavy' of Shipment)
begin
    INSERT INTO ClassTotals
    SELECT sum(weight) AS total
    FROM Shipment WINDOW TUMBLING_LENGTH(10);
end;
partition with (carrier of Shipment)
begin
    INSERT INTO #PerCarrier
    SELECT carrier, weight FROM Shipment;
    INSERT INTO CarrierMax
    SELECT carrier, max(weight) AS heaviest FROM #PerCarrier WINDOW SLIDING_LENGTH(3);
end;
