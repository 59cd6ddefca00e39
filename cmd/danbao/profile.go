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

// memProfile is the hidden --memprofile flag: a heap profile written when
// the command ends (`go tool pprof -sample_index=inuse_space danbao FILE`:
// what was live at the last collection, with where it was allocated).
var memProfile string

func init() {
	rootCmd.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the command to `FILE`")
	_ = rootCmd.PersistentFlags().MarkHidden("cpuprofile")
	rootCmd.PersistentFlags().StringVar(&memProfile, "memprofile", "", "write a heap profile to `FILE` when the command ends")
	_ = rootCmd.PersistentFlags().MarkHidden("memprofile")
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
		if memProfile != "" {
			if f, err := os.Create(memProfile); err == nil {
				_ = pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}
	})
}
