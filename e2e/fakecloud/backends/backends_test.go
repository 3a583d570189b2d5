package backends_test

import (
	"context"
	"testing"
	"time"

	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/e2e/fakecloud"
	"github.com/convex-go/convex/e2e/fakecloud/backends"
)

func TestRealBackendDeployments(t *testing.T) {
	b := backends.New(t.TempDir())
	defer b.Close()
	s := fakecloud.New(fakecloud.Options{StartDeployment: b.Start})
	s.Start()
	defer s.Close()
	sd, err := s.Seed()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dc := deployments.NewDeploymentClient(sd.Prod.URL, sd.ProdKey, deployments.DeploymentClientOptions{RetryDelay: func(int) time.Duration { return 0 }})
	name, err := dc.InstanceName(ctx)
	if err != nil || name != sd.Prod.Name {
		t.Fatalf("instance_name = %q, %v", name, err)
	}
	// The prod deploy key works as the real backend's admin key.
	v := "1"
	if err := dc.UpdateEnvironmentVariables(ctx, []deployments.EnvChange{{Name: "A", Value: &v}}); err != nil {
		t.Fatalf("env update with the deploy key: %v", err)
	}
	// The dev deployment's key does not open the prod deployment.
	other := deployments.NewDeploymentClient(sd.Prod.URL, sd.DevKey, deployments.DeploymentClientOptions{RetryDelay: func(int) time.Duration { return 0 }})
	if err := other.UpdateEnvironmentVariables(ctx, []deployments.EnvChange{{Name: "A", Value: &v}}); deployments.StatusCode(err) != 401 && deployments.StatusCode(err) != 403 {
		t.Fatalf("foreign key accepted or odd error: %v", err)
	}
}
