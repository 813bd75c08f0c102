package controllers

import (
	"os"
	"testing"

	"github.com/go-logr/logr"
	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// TestMain shows the agent's logs (controller-runtime's included) when AGENT_DEBUG_LOG is set, and discards them
// otherwise.
func TestMain(m *testing.M) {
	log := logr.Discard()
	if os.Getenv("AGENT_DEBUG_LOG") != "" {
		log = zap.New(zap.UseDevMode(true), zap.Level(zapcore.Level(-5)))
	}
	ctrl.SetLogger(log)
	os.Exit(m.Run())
}
