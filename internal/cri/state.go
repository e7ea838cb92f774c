package cri

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tug-project/tug/internal/atomicfile"
	"github.com/tug-project/tug/internal/cri/cni"
)

// sandboxState is what the CRI keeps of a pod sandbox besides its pause
// container: the pod's config as the kubelet gave it and its network.
// One JSON file per sandbox under <state dir>/sandboxes, written
// atomically.
type sandboxState struct {
	ID        string                       `json:"id"`
	CreatedAt int64                        `json:"createdAt"` // ns
	Config    json.RawMessage              `json:"config"`    // runtimeapi.PodSandboxConfig, protobuf JSON
	Network   *cni.Attachment              `json:"network,omitempty"`
	Ports     []cni.PortMapping            `json:"ports,omitempty"`
	HostNet   bool                         `json:"hostNetwork,omitempty"`
	NetDown   bool                         `json:"networkDown,omitempty"` // detached by a stop
	config    *runtimeapi.PodSandboxConfig `json:"-"`
}

type stateStore struct{ dir string }

func (s stateStore) path(id string) string { return filepath.Join(s.dir, "sandboxes", id+".json") }

func (s stateStore) save(st *sandboxState) error {
	if err := os.MkdirAll(filepath.Join(s.dir, "sandboxes"), 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return atomicfile.Write(s.path(st.ID), b, 0o600)
}

// load returns the state of sandbox id; os.ErrNotExist when there is none.
func (s stateStore) load(id string) (*sandboxState, error) {
	b, err := os.ReadFile(s.path(id))
	if err != nil {
		return nil, err
	}
	st := &sandboxState{}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("sandbox %s state: %w", id, err)
	}
	st.config = &runtimeapi.PodSandboxConfig{}
	if err := unmarshalProto(st.Config, st.config); err != nil {
		return nil, fmt.Errorf("sandbox %s config: %w", id, err)
	}
	return st, nil
}

func (s stateStore) remove(id string) error {
	if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func marshalProto(m proto.Message) (json.RawMessage, error) { return protojson.Marshal(m) }

func unmarshalProto(b []byte, m proto.Message) error { return protojson.Unmarshal(b, m) }

// containerState is what the CRI keeps of a container besides the
// engine's container: its config as the kubelet gave it, and the image
// reference it asked for. One JSON file per container under
// <state dir>/containers.
type containerState struct {
	ID        string                      `json:"id"`
	SandboxID string                      `json:"sandboxID"`
	CreatedAt int64                       `json:"createdAt"` // ns
	Config    json.RawMessage             `json:"config"`    // runtimeapi.ContainerConfig, protobuf JSON
	LogPath   string                      `json:"logPath,omitempty"`
	config    *runtimeapi.ContainerConfig `json:"-"`
}

func (s stateStore) containerPath(id string) string {
	return filepath.Join(s.dir, "containers", id+".json")
}

func (s stateStore) saveContainer(st *containerState) error {
	if err := os.MkdirAll(filepath.Join(s.dir, "containers"), 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return atomicfile.Write(s.containerPath(st.ID), b, 0o600)
}

func (s stateStore) loadContainer(id string) (*containerState, error) {
	b, err := os.ReadFile(s.containerPath(id))
	if err != nil {
		return nil, err
	}
	st := &containerState{}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("container %s state: %w", id, err)
	}
	st.config = &runtimeapi.ContainerConfig{}
	if err := unmarshalProto(st.Config, st.config); err != nil {
		return nil, fmt.Errorf("container %s config: %w", id, err)
	}
	return st, nil
}

func (s stateStore) removeContainer(id string) error {
	if err := os.Remove(s.containerPath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
