package auth

import (
	"errors"
	"os"

	"github.com/convex-go/convex/ui"
)

func asUI(err error, target **ui.Error) bool { return errors.As(err, target) }

func osPipe() (*os.File, *os.File, error) { return os.Pipe() }
