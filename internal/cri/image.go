package cri

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/registry"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/image"
)

// imageService is the CRI ImageService on tug's image store.
type imageService struct {
	runtimeapi.UnimplementedImageServiceServer
	s *Server
}

func (i *imageService) ListImages(ctx context.Context, req *runtimeapi.ListImagesRequest) (*runtimeapi.ListImagesResponse, error) {
	if ref := req.GetFilter().GetImage().GetImage(); ref != "" {
		img, err := i.find(ctx, ref)
		if err != nil || img == nil {
			return &runtimeapi.ListImagesResponse{}, err
		}
		return &runtimeapi.ListImagesResponse{Images: []*runtimeapi.Image{toCRIImage(img)}}, nil
	}
	imgs, err := i.s.images.Images(ctx)
	if err != nil {
		return nil, err
	}
	resp := &runtimeapi.ListImagesResponse{Images: make([]*runtimeapi.Image, 0, len(imgs))}
	for _, img := range imgs {
		resp.Images = append(resp.Images, toCRIImage(img))
	}
	return resp, nil
}

// ImageStatus answers an image that is not there with no image and no
// error, as the CRI asks.
func (i *imageService) ImageStatus(ctx context.Context, req *runtimeapi.ImageStatusRequest) (*runtimeapi.ImageStatusResponse, error) {
	img, err := i.find(ctx, req.GetImage().GetImage())
	if err != nil || img == nil {
		return &runtimeapi.ImageStatusResponse{}, err
	}
	resp := &runtimeapi.ImageStatusResponse{Image: toCRIImage(img)}
	if req.Verbose {
		b, err := json.Marshal(imageInfo{ChainID: img.ChainID.String(), ImageSpec: img.Config})
		if err != nil {
			return nil, err
		}
		resp.Info = map[string]string{"info": string(b)}
	}
	return resp, nil
}

// imageInfo is ImageStatus's verbose "info", in containerd's shape.
type imageInfo struct {
	ChainID   string `json:"chainID"`
	ImageSpec any    `json:"imageSpec"`
}

// PullImage pulls with the credentials of the request. Its sandbox config
// and the image spec's annotations carry no pull option tug has (they pick
// snapshotters and runtime handlers in other runtimes): they are accepted
// and have no effect; a runtime handler other than the default is refused.
func (i *imageService) PullImage(ctx context.Context, req *runtimeapi.PullImageRequest) (*runtimeapi.PullImageResponse, error) {
	spec := req.GetImage()
	if h := spec.GetRuntimeHandler(); h != "" {
		return nil, refuse("image.runtime_handler", "tug has only its default runtime handler, not "+strconv.Quote(h))
	}
	named, err := reference.ParseNormalizedNamed(spec.GetImage())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "invalid image reference %q: %v", spec.GetImage(), err)
	}
	named = reference.TagNameOnly(named)
	img, err := i.s.images.Pull(ctx, named, toAuthConfig(req.GetAuth()))
	if err != nil {
		return nil, err
	}
	return &runtimeapi.PullImageResponse{ImageRef: img.ID.String()}, nil
}

func toAuthConfig(a *runtimeapi.AuthConfig) *registry.AuthConfig {
	if a == nil {
		return nil
	}
	return &registry.AuthConfig{
		Username:      a.Username,
		Password:      a.Password,
		Auth:          a.Auth,
		ServerAddress: a.ServerAddress,
		IdentityToken: a.IdentityToken,
		RegistryToken: a.RegistryToken,
	}
}

// RemoveImage removes the image with all its tags and digests; one that is
// not there is already removed.
func (i *imageService) RemoveImage(ctx context.Context, req *runtimeapi.RemoveImageRequest) (*runtimeapi.RemoveImageResponse, error) {
	img, err := i.find(ctx, req.GetImage().GetImage())
	if err != nil {
		return nil, err
	}
	if img != nil {
		if err := i.s.images.Remove(ctx, img.ID); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return nil, err
		}
	}
	return &runtimeapi.RemoveImageResponse{}, nil
}

func (i *imageService) ImageFsInfo(ctx context.Context, req *runtimeapi.ImageFsInfoRequest) (*runtimeapi.ImageFsInfoResponse, error) {
	dir, bytes, inodes, err := i.s.images.Usage(ctx)
	if err != nil {
		return nil, err
	}
	return &runtimeapi.ImageFsInfoResponse{ImageFilesystems: []*runtimeapi.FilesystemUsage{{
		Timestamp:  time.Now().UnixNano(),
		FsId:       &runtimeapi.FilesystemIdentifier{Mountpoint: dir},
		UsedBytes:  &runtimeapi.UInt64Value{Value: bytes},
		InodesUsed: &runtimeapi.UInt64Value{Value: inodes},
	}}}, nil
}

// find resolves ref (name[:tag], name@digest, image ID or ID prefix);
// nil without error when there is no such image.
func (i *imageService) find(ctx context.Context, ref string) (*image.Image, error) {
	if ref == "" {
		return nil, status.Error(codes.InvalidArgument, "image reference is empty")
	}
	img, err := i.s.images.Image(ctx, ref)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, nil
	}
	return img, err
}

// toCRIImage is an image as the CRI shows it: references in their full
// form (docker.io/library/busybox:latest), the user the image runs as.
func toCRIImage(img *image.Image) *runtimeapi.Image {
	out := &runtimeapi.Image{
		Id:          img.ID.String(),
		RepoTags:    fullRefs(img.RepoTags),
		RepoDigests: fullRefs(img.RepoDigests),
		Size:        uint64(max(img.Size, 0)),
		Spec:        &runtimeapi.ImageSpec{Image: img.ID.String()},
	}
	user, _, _ := strings.Cut(img.Config.Config.User, ":")
	if user != "" {
		if uid, err := strconv.ParseInt(user, 10, 64); err == nil {
			out.Uid = &runtimeapi.Int64Value{Value: uid}
		} else {
			out.Username = user
		}
	}
	return out
}

func fullRefs(refs []string) []string {
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		if named, err := reference.ParseNormalizedNamed(r); err == nil {
			out = append(out, named.String())
		}
	}
	return out
}
