"""Analytics over the order history: valuation (ABC, RFM, churn), suggestions."""
