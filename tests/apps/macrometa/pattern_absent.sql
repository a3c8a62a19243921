-- Absent and logical patterns (query-guide/patterns)
CREATE STREAM Delivery (orderId string);
CREATE STREAM Payment (orderId string);
INSERT INTO Unpaid
SELECT d.orderId
FROM every d = Delivery -> not Payment[orderId == d.orderId] for 1 hour;
INSERT INTO Settled
SELECT d.orderId
FROM d = Delivery and p = Payment;
