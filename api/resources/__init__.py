"""One flask-smorest Blueprint per resource; views parse, call one service, return."""
