package values

import (
	"errors"
	"fmt"
	"strconv"
)

func errorf(format string, args ...any) error {
	if len(args) == 0 {
		return errors.New(format)
	}
	return fmt.Errorf(format, args...)
}

func itoa(i int) string { return strconv.Itoa(i) }
