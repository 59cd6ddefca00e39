package models_test

import (
	"fmt"

	"github.com/wenzhou/danbao/models"
)

// A claim of 1,234,567.89 yuan split between the five parties of the
// default 4321 template, exactly in fen. Each part first gets
// ⌊amount·w/Σw⌋:
//
//	bank           0.20 × 123456789 = 24691357.80 → 24691357
//	re-guarantor   0.15 × 123456789 = 18518518.35 → 18518518
//	national fund  0.15 × 123456789 = 18518518.35 → 18518518
//	county fund    0.10 × 123456789 = 12345678.90 → 12345678
//	guarantor      0.40 × 123456789 = 49382715.60 → 49382715
//
// which leaves 3 fen; they go one each to the largest remainders (.90, .80,
// .60): the county fund, the bank and the guarantor.
func ExampleAllocate() {
	claim, err := models.ParseCents("1234567.89")
	if err != nil {
		panic(err)
	}
	parties := []string{"bank", "re-guarantor", "national fund", "county fund", "guarantor"}
	weights := []float64{0.20, 0.15, 0.15, 0.10, 0.40}
	parts := models.Allocate(make([]models.Cents, len(weights)), claim, weights)
	var sum models.Cents
	for k, part := range parts {
		fmt.Printf("%-13s %11s\n", parties[k], part)
		sum += part
	}
	fmt.Printf("%-13s %11s\n", "total", sum)
	// Output:
	// bank            246913.58
	// re-guarantor    185185.18
	// national fund   185185.18
	// county fund     123456.79
	// guarantor       493827.16
	// total          1234567.89
}

// Money is an int64 count of fen; it prints in yuan with two decimals.
// MulRate rounds half away from zero on the exact product: 10.05 × 0.5 =
// 5.025 yuan = 502.5 fen → 503 fen.
func ExampleCents() {
	fee := 10*models.Yuan + 5 // 10.05 yuan
	fmt.Println(fee, int64(fee), fee.MulRate(0.5))

	_, err := models.ParseCents("12.5万") // plain decimal text only
	fmt.Println("ParseCents refuses 12.5万:", err != nil)
	lenient, _ := models.ParseCentsLenient("12.5万")
	thousands, _ := models.ParseCentsLenient("1,234,567.89")
	fmt.Println(lenient, thousands)
	// Output:
	// 10.05 1005 5.03
	// ParseCents refuses 12.5万: true
	// 125000.00 1234567.89
}

// The default policy is the 4321 template: the guarantor keeps what the
// other four parties' nominal shares leave, 1 − 0.20 − 0.15 − 0.15 − 0.10.
func ExamplePolicy4321() {
	p := models.Policy4321()
	fmt.Printf("bank %.2f, re-guarantor %.2f, national fund %.2f, county fund %.2f, guarantor %.2f\n",
		p.BankShare, p.Reguarantee.Share, p.NationalFund.Share, p.CountyFund.Share, p.GuarantorShare())
	// Output:
	// bank 0.20, re-guarantor 0.15, national fund 0.15, county fund 0.10, guarantor 0.40
}
