#!/usr/bin/env python3
"""Writes wenzhou.csv, the documented default history of Wenzhou's
government financing guarantees 2008-2023 (see README.md for every figure's
source; "estimate" marks ours). Deterministic: python3 make_wenzhou.py
rewrites the same file."""
import csv, math, random

random.seed(20080101)

# Yearly default (compensation) rate of guaranteed loans, loan-weighted.
RATE = {
    2008: 0.012,  # estimate: export slump; bank NPLs about 1 %
    2009: 0.009,  # Wenzhou banks' NPL 0.71 % mid-2009; Wenzhou Bank 0.89 % (2009); guarantee rate ≈ 1.2 × NPL (estimate)
    2010: 0.008,  # Wenzhou Bank NPL 0.87 % (2010)
    2011: 0.012,  # NPL record low 0.37 % end-June 2011; private-lending crisis from autumn 2011; Wenzhou Bank 0.99 % (2011)
    2012: 0.034,  # NPL about 3.4 % around end-2012; Wenzhou Bank 1.72 % mid-2012
    2013: 0.045,  # banks disposed 217亿 of bad loans Jan-Nov 2013, 1.6 × all of 2012 (rate: estimate)
    2014: 0.044,  # NPL 4.43 % in January 2014 (about elevenfold in 31 months)
    2015: 0.036,  # estimate
    2016: 0.028,  # estimate
    2017: 0.022,  # estimate
    2018: 0.019,  # estimate
    2019: 0.017,  # estimate
    2020: 0.021,  # estimate (COVID-19)
    2021: 0.018,  # estimate
    2022: 0.019,  # estimate
    2023: 0.018,  # base compensation rate about 1.8 % (national fund 2024: 1.84 %)
}
# Loans guaranteed per year (estimate: 6,000 in 2008 growing to 20,000 in
# 2023, the size of the example snapshot).
def loans_in(year):
    return round(6000 * (20000 / 6000) ** ((year - 2008) / 15))

IND = ["electrical", "footwear", "apparel", "auto_parts", "pumps_valves", "eyewear",
       "printing_packaging", "agriculture", "trade_services", "other"]
# County share of loans and industry mix by count: models/synth/tables.go (estimates).
COUNTY = [
    ("330302", 12, [3, 28, 14, 2, 2, 6, 3, 3, 27, 12]),
    ("330303", 8, [10, 12, 4, 8, 24, 2, 3, 5, 18, 14]),
    ("330304", 9, [3, 20, 10, 5, 2, 20, 3, 6, 19, 12]),
    ("330305", 2, [2, 0, 2, 0, 0, 0, 1, 38, 35, 22]),
    ("330324", 7, [5, 8, 6, 3, 34, 1, 2, 15, 15, 11]),
    ("330326", 8, [4, 6, 10, 8, 5, 0, 12, 14, 18, 23]),
    ("330327", 6, [3, 4, 12, 3, 2, 0, 20, 16, 18, 22]),
    ("330328", 2.5, [2, 2, 4, 1, 1, 0, 1, 42, 27, 20]),
    ("330329", 2.5, [3, 1, 3, 1, 2, 0, 1, 42, 25, 22]),
    ("330381", 15, [5, 9, 6, 33, 5, 1, 5, 7, 16, 13]),
    ("330382", 17, [44, 1, 3, 5, 6, 0, 2, 6, 19, 14]),
    ("330383", 5, [2, 2, 10, 2, 1, 0, 40, 6, 20, 17]),
]
# Relative default rate by industry, normal years and the 2011-2015
# guarantee-chain crisis (estimates: export and chain-guarantee clusters
# were hit hardest, agriculture least).
IND_NORMAL = [0.9, 1.1, 1.1, 1.0, 1.0, 1.0, 1.0, 0.8, 1.0, 1.0]
IND_CRISIS = [1.3, 1.3, 1.3, 1.0, 1.1, 1.2, 1.1, 0.6, 0.9, 0.9]
SIGMA = 0.25  # lognormal spread of the county-year and industry-year rates (estimate)
AVG_LOAN = 1_000_000  # yuan per defaulted loan (estimate: DESIGN.md small/micro average about 120-130万, agri 32万)
LAST = 2023

rows = []
for year in range(2008, LAST + 1):
    n_year = loans_in(year)
    crisis = 2011 <= year <= 2015
    imult = IND_CRISIS if crisis else IND_NORMAL
    ishock = [math.exp(random.gauss(0, SIGMA) - SIGMA ** 2 / 2) for _ in IND]
    cells = []
    wsum = sum(w for _, w, _ in COUNTY)
    for code, w, mix in COUNTY:
        cshock = math.exp(random.gauss(0, SIGMA) - SIGMA ** 2 / 2)
        msum = sum(mix)
        for k, m in enumerate(mix):
            if m == 0:
                continue
            n = max(1, round(n_year * w / wsum * m / msum))
            cells.append([code, IND[k], n, imult[k] * ishock[k] * cshock])
    tot = sum(n for _, _, n, _ in cells)
    avg = sum(n * r for _, _, n, r in cells) / tot
    for code, ind, n, r in cells:
        p = min(0.5, RATE[year] * r / avg)
        d = sum(1 for _ in range(n) if random.random() < p)
        comp = d * AVG_LOAN * 102 // 100  # principal + normal interest (estimate 2 %)
        rec_rate = 0.20 if 2012 <= year <= 2015 else 0.30  # estimate: crisis collateral sold cheaply
        lags = [0.2, 0.5, 0.3]
        row = {"year": year, "county": code, "industry": ind, "loans": n, "defaults": d,
               "compensation": f"{comp:.2f}"}
        for k, f in enumerate(lags, start=1):
            row[f"recovered_lag{k}"] = f"{round(comp * rec_rate * f, 2):.2f}" if year + k <= LAST else ""
        rows.append(row)

with open("wenzhou.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=["year", "county", "industry", "loans", "defaults", "compensation",
                                      "recovered_lag1", "recovered_lag2", "recovered_lag3"])
    w.writeheader()
    w.writerows(rows)
