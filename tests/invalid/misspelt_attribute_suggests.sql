-- expect: 3:24: 'pricee' is not an attribute of Trade; did you mean 'price'?
CREATE STREAM Trade (symbol string, price double);
INSERT INTO Out SELECT pricee FROM Trade;
