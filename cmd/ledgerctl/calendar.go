package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/spf13/cobra"
)

func init() { register(newCalendarCmd) }

// newCalendarCmd answers working-day questions with the same calendar the deadlines use,
// so an officer can check a deadline by hand.
func newCalendarCmd() *cobra.Command {
	var file string
	c := &cobra.Command{
		Use:   "calendar",
		Short: "Working-day calendar (工作日日历): PRC holidays and adjusted working days",
		Long: `Working-day calendar used for every deadline of the Measures (工作日).
Data: the maintained holiday library (2002 to 2027-10-09) plus an operator file
(--calendar or LEDGER_CALENDAR) for later years; a date without data is refused (exit 2).`,
	}
	c.PersistentFlags().StringVar(&file, "calendar", os.Getenv("LEDGER_CALENDAR"),
		"operator calendar file (JSON) adding years the library lacks [env LEDGER_CALENDAR]")
	load := func() (*calendar.Calendar, error) {
		cal := calendar.Default()
		if file == "" {
			return cal, nil
		}
		cal, err := cal.LoadFile(file)
		if err != nil {
			return nil, usage("%v", err)
		}
		return cal, nil
	}
	c.AddCommand(&cobra.Command{
		Use:   "add-workdays DATE N",
		Short: "Print the date N working days after DATE (YYYY-MM-DD)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := calendar.Parse(args[0])
			if err != nil {
				return usage("DATE: %v", err)
			}
			n, err := strconv.Atoi(args[1])
			if err != nil {
				return usage("N: %q is not a whole number of working days", args[1])
			}
			cal, err := load()
			if err != nil {
				return err
			}
			due, err := cal.AddWorkdays(d, n)
			if err != nil {
				return calendarErr(err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), due)
			return nil
		},
	})
	c.AddCommand(&cobra.Command{
		Use:   "is-workday DATE",
		Short: "Print true if DATE is a working day, false if not",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := calendar.Parse(args[0])
			if err != nil {
				return usage("DATE: %v", err)
			}
			cal, err := load()
			if err != nil {
				return err
			}
			w, err := cal.IsWorkday(d)
			if err != nil {
				return calendarErr(err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), w)
			return nil
		},
	})
	return c
}

func calendarErr(err error) error {
	if errors.Is(err, calendar.ErrNoData) {
		return usage("%v", err)
	}
	return usage("calendar: %v", err)
}
