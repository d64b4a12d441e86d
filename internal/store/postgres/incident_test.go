package postgres_test

import (
	"testing"

	"github.com/kyojo-hub/kyojo/internal/store/storetest"
)

func TestIncidentContract(t *testing.T) { storetest.RunIncidents(t, open) }
