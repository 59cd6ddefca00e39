package web

import (
	"github.com/wenzhou/danbao/internal/format"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// macroFactor names the macro factor.
var macroFactor = format.Name{ZH: "宏观因子", EN: "Macro"}

// FactorName names a factor of a reverse stress point, Chinese first:
// 宏观因子 Macro, 鞋业 Footwear (industry), 乐清市 330382 (county).
func FactorName(f sim.ReverseFactor) format.Name {
	switch f.Kind {
	case "industry":
		n := format.Lookup(format.Industries, f.Code)
		n.EN += " (industry)"
		return n
	case "county":
		return format.Name{ZH: models.CountyName(f.Code), EN: f.Code}
	}
	return macroFactor
}
