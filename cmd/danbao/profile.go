package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// cpuProfile is the hidden --cpuprofile flag: a CPU profile of the whole
// command (`go tool pprof danbao FILE`), for performance work.
var cpuProfile string

func init() {
	rootCmd.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the command to `FILE`")
	_ = rootCmd.PersistentFlags().MarkHidden("cpuprofile")
	var profile *os.File
	rootCmd.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		profile = f
		return nil
	}
	// Finalizers run when the command ends, with an error too.
	cobra.OnFinalize(func() {
		if profile != nil {
			pprof.StopCPUProfile()
			profile.Close()
			profile = nil
		}
	})
}
