-- Tables, indexes and table operations (table/)
CREATE STREAM Stock (sku string, qty long);
CREATE STREAM Sold (sku string, qty long);
CREATE STREAM Discontinued (sku string);
CREATE TABLE GLOBAL Inventory (sku string, qty long);
CREATE UNIQUE INDEX InventorySku ON TABLE Inventory (sku);
UPDATE OR INSERT INTO Inventory
SET Inventory.qty = qty
ON Inventory.sku == sku
SELECT sku, qty FROM Stock;
UPDATE Inventory
SET Inventory.qty = Inventory.qty - qty
ON Inventory.sku == sku
SELECT sku, qty FROM Sold;
DELETE Inventory
ON Inventory.sku == sku
SELECT sku FROM Discontinued;
INSERT INTO LowStock
SELECT sku FROM Sold[(Inventory.sku == sku and Inventory.qty < 5L) in Inventory];
