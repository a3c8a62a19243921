-- Named aggregations and script functions (aggregations/, functions)
CREATE STREAM Payments (merchant string, amount double, at long);
CREATE AGGREGATION MerchantTotals
SELECT merchant, sum(amount) AS total, count() AS n
FROM Payments
GROUP BY merchant
AGGREGATE BY at EVERY sec ... year;
CREATE FUNCTION tag[javascript] RETURN string {
    var prefix = data[0];
    return prefix + '-' + data[1];
};
INSERT INTO Tagged
SELECT tag(merchant, 'eu') AS label, amount
FROM Payments;
