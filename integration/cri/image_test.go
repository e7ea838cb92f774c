package cri

import (
	"encoding/json"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// crictl pull fetches an image from a loopback registry into tug's one
// image store: crictl images and tug images both list it, with the CRI's
// full reference and the image ID pull returned.
func TestPullListsTheImageOnBothAPIs(t *testing.T) {
	c := startCRI(t)
	host := startRegistry(t, "", "")
	ref := host + "/cri/busybox:v1"
	c.pushBusybox(ref, t.TempDir())

	r := c.Crictl("pull", ref)
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "Image is up to date for sha256:") {
		t.Fatalf("crictl pull: %s", r)
	}
	id := strings.TrimSpace(r.Stdout[strings.Index(r.Stdout, "sha256:"):])

	list, err := c.Images.ListImages(ctxT(t), &runtimeapi.ListImagesRequest{})
	if err != nil {
		t.Fatalf("ListImages() = %v", err)
	}
	var found *runtimeapi.Image
	for _, img := range list.Images {
		if img.Id == id {
			found = img
		}
	}
	if found == nil || len(found.RepoTags) != 1 || found.RepoTags[0] != ref || len(found.RepoDigests) != 1 ||
		!strings.HasPrefix(found.RepoDigests[0], host+"/cri/busybox@sha256:") || found.Size == 0 {
		t.Fatalf("ListImages() has %+v for %s, want its tag, digest and size", found, id)
	}
	if r := c.Crictl("images"); r.ExitCode != 0 || !strings.Contains(r.Stdout, host+"/cri/busybox") || !strings.Contains(r.Stdout, "v1") {
		t.Errorf("crictl images: %s", r)
	}
	if r := c.Tug("images", "--format", "{{.Repository}}:{{.Tag}}"); !strings.Contains(r.Stdout, ref) {
		t.Errorf("tug images does not list the image crictl pulled: %s", r)
	}
	// The filter of ListImages resolves a reference.
	one, err := c.Images.ListImages(ctxT(t), &runtimeapi.ListImagesRequest{Filter: &runtimeapi.ImageFilter{Image: &runtimeapi.ImageSpec{Image: ref}}})
	if err != nil || len(one.Images) != 1 || one.Images[0].Id != id {
		t.Errorf("ListImages(filter %s) = %v, %v", ref, one, err)
	}
}

// A short name means Docker Hub's library image and the full reference
// is what the CRI shows; images tug imported are there too.
func TestImagesShowFullReferencesAndTheUser(t *testing.T) {
	c := startCRI(t)
	c.ImportBusybox("tugcri-short:v2")
	st, err := c.Images.ImageStatus(ctxT(t), &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: "tugcri-short:v2"}, Verbose: true})
	if err != nil || st.Image == nil {
		t.Fatalf("ImageStatus(tugcri-short:v2) = %v, %v", st, err)
	}
	if got := st.Image.RepoTags; len(got) != 1 || got[0] != "docker.io/library/tugcri-short:v2" {
		t.Errorf("RepoTags = %v, want the full reference", got)
	}
	var info struct {
		ChainID   string          `json:"chainID"`
		ImageSpec json.RawMessage `json:"imageSpec"`
	}
	if err := json.Unmarshal([]byte(st.Info["info"]), &info); err != nil || !strings.HasPrefix(info.ChainID, "sha256:") || len(info.ImageSpec) == 0 {
		t.Errorf("verbose info = %q (%v), want the chain ID and image config", st.Info["info"], err)
	}
	if r := c.Crictl("inspecti", "tugcri-short:v2"); r.ExitCode != 0 || !strings.Contains(r.Stdout, "docker.io/library/tugcri-short:v2") {
		t.Errorf("crictl inspecti: %s", r)
	}

	// Docker's "USER name" shows as the username, "USER 1000:1000" as the uid.
	for _, tc := range []struct {
		user     string
		uid      int64
		hasUID   bool
		username string
	}{{"1000:1000", 1000, true, ""}, {"nobody", 0, false, "nobody"}} {
		ref := "tugcri-user:" + strings.ReplaceAll(tc.user, ":", "-")
		if r := c.TugIn("FROM tugcri-short:v2\nUSER "+tc.user+"\n", "build", "-q", "-t", ref, "-"); r.ExitCode != 0 {
			t.Fatalf("tug build: %s", r)
		}
		st, err := c.Images.ImageStatus(ctxT(t), &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: ref}})
		if err != nil || st.Image == nil {
			t.Fatalf("ImageStatus(%s) = %v, %v", ref, st, err)
		}
		if (st.Image.Uid != nil) != tc.hasUID || st.Image.GetUid().GetValue() != tc.uid || st.Image.Username != tc.username {
			t.Errorf("USER %s: uid %v, username %q; want %d (%v), %q", tc.user, st.Image.Uid, st.Image.Username, tc.uid, tc.hasUID, tc.username)
		}
	}
}

// An image that is not there has no status and no error, as the CRI asks;
// removing it succeeds (it is already gone).
func TestMissingImageHasNoStatusAndRemovesCleanly(t *testing.T) {
	c := startCRI(t)
	st, err := c.Images.ImageStatus(ctxT(t), &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: "tugcri-missing:v1"}})
	if err != nil || st.Image != nil {
		t.Errorf("ImageStatus(missing) = %v, %v; want no image, no error", st, err)
	}
	if _, err := c.Images.RemoveImage(ctxT(t), &runtimeapi.RemoveImageRequest{Image: &runtimeapi.ImageSpec{Image: "tugcri-missing:v1"}}); err != nil {
		t.Errorf("RemoveImage(missing) = %v, want nil", err)
	}
	_, err = c.Images.ImageStatus(ctxT(t), &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: "Bad Ref"}})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("ImageStatus(bad reference) = %v, want InvalidArgument", err)
	}
}

// Pull uses the credentials of the request: without them a registry that
// asks for them refuses; with the wrong ones too; with the right ones the
// image comes.
func TestPullUsesTheRequestsCredentials(t *testing.T) {
	c := startCRI(t)
	host := startRegistry(t, "alice", "s3cret")
	ref := host + "/private/busybox:v1"
	cfg := t.TempDir()
	if r := c.TugIn("s3cret", "--config", cfg, "login", "-u", "alice", "--password-stdin", host); r.ExitCode != 0 {
		t.Fatalf("tug login: %s", r)
	}
	c.pushBusybox(ref, cfg)

	req := &runtimeapi.PullImageRequest{Image: &runtimeapi.ImageSpec{Image: ref}}
	if _, err := c.Images.PullImage(ctxT(t), req); err == nil || !strings.Contains(err.Error(), "pull access denied") {
		t.Errorf("PullImage() without credentials = %v, want Docker's \"pull access denied\"", err)
	}
	if r := c.Crictl("pull", "--creds", "alice:wrong", ref); r.ExitCode == 0 {
		t.Errorf("crictl pull with a wrong password: %s", r)
	}
	if r := c.Crictl("pull", "--creds", "alice:s3cret", ref); r.ExitCode != 0 {
		t.Fatalf("crictl pull --creds: %s", r)
	}
	req.Auth = &runtimeapi.AuthConfig{Username: "alice", Password: "s3cret", ServerAddress: host}
	if resp, err := c.Images.PullImage(ctxT(t), req); err != nil || !strings.HasPrefix(resp.ImageRef, "sha256:") {
		t.Errorf("PullImage() with credentials = %v, %v", resp, err)
	}
}

// crictl rmi removes an image with all its names; an image a container
// uses stays, whichever API made the container.
func TestRemoveImageRefusesAnImageAContainerUses(t *testing.T) {
	c := startCRI(t)
	c.ImportBusybox("tugcri-rm:v1")
	if r := c.Tug("tag", "tugcri-rm:v1", "tugcri-rm:other"); r.ExitCode != 0 {
		t.Fatalf("tug tag: %s", r)
	}
	if r := c.Tug("create", "--name", "tugcri-user", "tugcri-rm:v1", "true"); r.ExitCode != 0 {
		t.Fatalf("tug create: %s", r)
	}
	r := c.Crictl("rmi", "tugcri-rm:v1")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "in use by container") {
		t.Errorf("crictl rmi of an image a container uses: %s", r)
	}
	if r := c.Tug("image", "inspect", "tugcri-rm:other"); r.ExitCode != 0 {
		t.Errorf("the image is gone after a refused rmi: %s", r)
	}
	if r := c.Tug("rm", "tugcri-user"); r.ExitCode != 0 {
		t.Fatalf("tug rm: %s", r)
	}
	if r := c.Crictl("rmi", "tugcri-rm:v1"); r.ExitCode != 0 {
		t.Fatalf("crictl rmi: %s", r)
	}
	for _, ref := range []string{"tugcri-rm:v1", "tugcri-rm:other"} {
		if r := c.Tug("image", "inspect", ref); r.ExitCode == 0 {
			t.Errorf("%s is still there after crictl rmi", ref)
		}
	}
}

// ImageFsInfo reports where the layers are, the space and the inodes
// they take.
func TestImageFsInfoReportsTheLayers(t *testing.T) {
	c := startCRI(t)
	c.ImportBusybox("tugcri-fs:v1")
	fs, err := c.Images.ImageFsInfo(ctxT(t), &runtimeapi.ImageFsInfoRequest{})
	if err != nil || len(fs.ImageFilesystems) != 1 {
		t.Fatalf("ImageFsInfo() = %v, %v", fs, err)
	}
	u := fs.ImageFilesystems[0]
	if !strings.HasPrefix(u.GetFsId().GetMountpoint(), c.Root) || u.GetUsedBytes().GetValue() < 1<<20 || u.GetInodesUsed().GetValue() < 10 || u.Timestamp == 0 {
		t.Errorf("ImageFsInfo() = %v; want under %s, at least 1 MiB and 10 inodes (busybox)", u, c.Root)
	}
	if r := c.Crictl("imagefsinfo"); r.ExitCode != 0 || !strings.Contains(r.Stdout, "usedBytes") {
		t.Errorf("crictl imagefsinfo: %s", r)
	}
}
