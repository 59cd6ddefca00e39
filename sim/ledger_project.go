package sim

import (
	"math"

	"github.com/wenzhou/danbao/models"
)

// pathRows are where a path's figures go: its metrics
// ([(g*H + t)*NMetrics + k], g == G the city), its county outlays and
// their risk-compensation part ([c*H + t]). They are windows on
// LedgerResult's arrays, or a worker's scratch when the run keeps its
// metrics in a file (ledger_spill.go).
type pathRows struct {
	metrics       []float64
	outlays, comp []int64
}

// project runs the balance sheets forward and writes path p's metrics,
// outlays and capital needs (rows; the capital needs to res.NeedX).
func (L *Ledger) project(s *ledgerScratch, p int, res *LedgerResult, rows pathRows) {
	H, G, C := L.H, len(L.Guarantors), len(L.Counties)
	rs := L.pol.Reserves
	for g := range G {
		na := int64(L.Guarantors[g].NetAssets) + L.inject[g*(H+1)]
		prevEnd := L.det[g*H].startBal
		// Reserves today: the unearned-fee reserve on year 1's fees as
		// scheduled, the rest of the snapshot's reserves the compensation
		// reserve.
		unearned := roundFen(rs.UnearnedFee * float64(L.det[g*H].feeB+L.det[g*H].feeS))
		compRes := max(0, L.resInit[g]-unearned)
		for t := range H {
			d, gp := &L.det[g*H+t], &s.gy[g*H+t]
			feeB, feeS, reFee := d.feeB-gp.feeBLost, d.feeS-gp.feeSLost, d.reFee-gp.reFeeLost
			startBal := prevEnd
			endBal := d.endBal - gp.adj.endBal
			prevEnd = endBal
			inv := roundFen(L.yield[g] * float64(na))
			opex := roundFen(L.opex[g] * float64(startBal))
			na += feeB + feeS + inv - opex - reFee - gp.paid[PartyGuarantor] + s.recIn[g*H+t] + L.inject[g*(H+1)+t+1]
			u := roundFen(rs.UnearnedFee * float64(feeB+feeS))
			c := min(compRes+roundFen(rs.CompensationAdd*float64(endBal)), roundFen(rs.CompensationCap*float64(endBal)))
			if rs.Deduct {
				na -= (u - unearned) + (c - compRes)
			}
			unearned, compRes = u, c
			s.na[g*H+t] = na
			released := d.matured - gp.adj.matured + gp.releasedComp
			loanEnd := d.endLoan - gp.adj.endLoan
			mt := rows.metrics[(g*H+t)*NMetrics:][:NMetrics]
			mt[MetricBalance] = float64(endBal) / 100
			mt[MetricNetAssets] = float64(na) / 100
			mt[MetricLeveragePerf] = ratio(float64(endBal), float64(na))
			mt[MetricLeverageFiscal] = ratio(float64(endBal), float64(L.govCap[g]))
			mt[MetricCompRate] = ratio0(float64(gp.compPaid), float64(released))
			mt[MetricCompRateBalance] = ratio0(float64(gp.compPaid), float64(startBal))
			mt[MetricCompPaid] = float64(gp.compPaid) / 100
			mt[MetricRecoveries] = float64(s.recIn[g*H+t]) / 100
			mt[MetricFeeRate] = ratio0(float64(feeB), d.feeBase-gp.feeBaseLost)
			mt[MetricSmallAgriBalance] = float64(d.smallAgEnd-gp.adj.smallAgEnd) / 100
			mt[MetricReleased] = float64(released) / 100
			mt[MetricLoanBalance] = float64(loanEnd) / 100
			mt[MetricSmallAgriLoanBalance] = float64(d.smallAgLoanEnd-gp.adj.smallAgLoanEnd) / 100
			mt[MetricLeveragePerfLoan] = ratio(float64(loanEnd), float64(na))
			mt[MetricFeeRateCharged] = ratio0(float64(feeB+feeS), d.feeBase-gp.feeBaseLost)
			mt[MetricReserves] = float64(unearned+compRes) / 100
		}
	}
	// Regulatory leverage needs the children's net assets (equity held).
	for g := range G {
		for t := range H {
			rwEnd := float64(L.det[g*H+t].rwEnd-s.gy[g*H+t].adj.rwEnd) / 100
			mt := rows.metrics[(g*H+t)*NMetrics:][:NMetrics]
			mt[MetricLeverageReg] = ratio(rwEnd, float64(s.na[g*H+t])/100-L.heldAt(s, g, t))
		}
		res.NeedX[p*G+g] = L.capitalNeed(s, g)
	}
	// The city: sums, with net assets consolidated (equity stakes in county
	// guarantors are not counted twice).
	for t := range H {
		var bal, na, rw, comp, rel, rec, feeB, feeS, feeBase, sa, gov, loan, saLoan, reserves float64
		for g := range G {
			d, gp := &L.det[g*H+t], &s.gy[g*H+t]
			mt := rows.metrics[(g*H+t)*NMetrics:][:NMetrics]
			bal += mt[MetricBalance]
			na += mt[MetricNetAssets]
			if L.parent[g] >= 0 {
				na -= L.stake[g] * mt[MetricNetAssets]
			}
			rw += float64(d.rwEnd-gp.adj.rwEnd) / 100
			comp += mt[MetricCompPaid]
			rel += mt[MetricReleased]
			rec += mt[MetricRecoveries]
			feeB += float64(d.feeB-gp.feeBLost) / 100
			feeS += float64(d.feeS-gp.feeSLost) / 100
			loan += mt[MetricLoanBalance]
			saLoan += mt[MetricSmallAgriLoanBalance]
			reserves += mt[MetricReserves]
			feeBase += (d.feeBase - gp.feeBaseLost) / 100
			sa += mt[MetricSmallAgriBalance]
			gov += float64(L.govCap[g]) / 100
		}
		var startBal float64
		for g := range G {
			if t == 0 {
				startBal += float64(L.det[g*H].startBal) / 100
			} else {
				startBal += rows.metrics[(g*H+t-1)*NMetrics+MetricBalance]
			}
		}
		mt := rows.metrics[(G*H+t)*NMetrics:][:NMetrics]
		mt[MetricBalance], mt[MetricNetAssets] = bal, na
		mt[MetricLeveragePerf] = ratio(bal, na)
		mt[MetricLeverageReg] = ratio(rw, na)
		mt[MetricLeverageFiscal] = ratio(bal, gov)
		mt[MetricCompRate] = ratio0(comp, rel)
		mt[MetricCompRateBalance] = ratio0(comp, startBal)
		mt[MetricCompPaid], mt[MetricRecoveries], mt[MetricReleased] = comp, rec, rel
		mt[MetricFeeRate] = ratio0(feeB, feeBase)
		mt[MetricSmallAgriBalance] = sa
		mt[MetricLoanBalance], mt[MetricSmallAgriLoanBalance] = loan, saLoan
		mt[MetricLeveragePerfLoan] = ratio(loan, na)
		mt[MetricFeeRateCharged] = ratio0(feeB+feeS, feeBase)
		mt[MetricReserves] = reserves
	}
	for c := range C {
		for t := range H {
			comp := s.cty[c*H+t]
			rows.comp[c*H+t] = comp
			rows.outlays[c*H+t] = comp + L.subsDet[c*H+t] - s.subs[c*H+t]
		}
	}
}

// capitalNeed returns the smallest injection X at t = 0 (yuan) such that,
// with X invested at the guarantor's yield y, the capital-linked targets
// that are on hold in every year t:
//
//	leverage_max:      X ≥ (RW_t/cap − NA_t + held_t) / (1+y)^(t+1)   (regulatory; with the
//	                   performance definition, balance_t/cap − NA_t)
//	capital_min:       X ≥ (min − NA_t) / (1+y)^(t+1)   and   X ≥ min − registered_t
//	concentration_max: X ≥ (largest/c − NA_t) / (1+y)^(t+1), for the largest borrower
//	                   (c = 0.10) and the largest related-party group (c = 0.15)
//
// where registered_t is registered capital with the scenario's injections
// to the end of year t (an injection at t = 0 adds to it one for one). A
// negative X is spare capital; −Inf means no capital-linked target applies.
func (L *Ledger) capitalNeed(s *ledgerScratch, g int) float64 {
	H := L.H
	need := math.Inf(-1)
	minCap := float64(L.minCap[g]) / 100
	capOn := !L.tg.CapitalMin.Off && L.minCap[g] > 0
	levOn := !L.tg.LeverageMax.Off
	perf := L.tg.LeverageMax.Definition == models.LeveragePerformance
	grow := 1.0
	for t := range H {
		grow *= 1 + L.yield[g]
		na := float64(s.na[g*H+t]) / 100
		if levOn {
			if perf {
				bal := float64(L.det[g*H+t].endBal-s.gy[g*H+t].adj.endBal) / 100
				need = max(need, (bal/L.capMax[g]-na)/grow)
			} else {
				rw := float64(L.det[g*H+t].rwEnd-s.gy[g*H+t].adj.rwEnd) / 100
				need = max(need, (rw/L.capMax[g]-na+L.heldAt(s, g, t))/grow)
			}
		}
		if capOn {
			need = max(need, (minCap-na)/grow, minCap-float64(L.regCap[g*H+t])/100)
		}
		for _, c := range L.concentrationLimits(g) {
			need = max(need, (c.largest/c.share-na)/grow)
		}
	}
	return need
}

// heldAt returns the equity guarantor g holds in others at the end of year t, yuan.
func (L *Ledger) heldAt(s *ledgerScratch, g, t int) float64 {
	held := 0.0
	for c := range L.Guarantors {
		if int(L.parent[c]) == g {
			held += L.stake[c] * float64(s.na[c*L.H+t]) / 100
		}
	}
	return held
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return math.Inf(1)
	}
	return a / b
}

func ratio0(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}
