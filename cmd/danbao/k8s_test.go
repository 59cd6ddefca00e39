package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// k8sDir holds the Kubernetes manifests of a sharded run.
const k8sDir = "../../deploy/k8s"

// strictDecode reads YAML into v as the API server's strict field
// validation does (kubectl apply --validate=strict): field names match
// case-sensitively, and an unknown or duplicated field is an error (a typo
// such as "completionmode" would otherwise vanish, and the Job would run
// unindexed).
func strictDecode(b []byte, v any) error {
	j, err := yaml.YAMLToJSONStrict(b) // refuses a key given twice
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(j, v, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// decodeStrict reads manifest name into v (strictDecode).
func decodeStrict(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(k8sDir, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := strictDecode(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// k8sManifests decodes the PVC and the two Jobs and checks what makes them
// one sharded run: an Indexed Job of K completions whose pods run
// `--shard env/K` and write to the PVC's folder, and a merge of that folder.
func k8sManifests(t *testing.T) (shards, merge *batchv1.Job, k int) {
	t.Helper()
	var pvc corev1.PersistentVolumeClaim
	decodeStrict(t, "pvc.yaml", &pvc)
	shards, merge = &batchv1.Job{}, &batchv1.Job{}
	decodeStrict(t, "shards-job.yaml", shards)
	decodeStrict(t, "merge-job.yaml", merge)

	if pvc.APIVersion != "v1" || pvc.Kind != "PersistentVolumeClaim" || !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteMany) {
		t.Errorf("pvc.yaml: %s %s, access %v; want a v1 PersistentVolumeClaim, ReadWriteMany", pvc.APIVersion, pvc.Kind, pvc.Spec.AccessModes)
	}
	for name, j := range map[string]*batchv1.Job{"shards-job.yaml": shards, "merge-job.yaml": merge} {
		if j.APIVersion != "batch/v1" || j.Kind != "Job" {
			t.Errorf("%s: %s %s, want batch/v1 Job", name, j.APIVersion, j.Kind)
		}
		ps := j.Spec.Template.Spec
		if ps.RestartPolicy != corev1.RestartPolicyNever || len(ps.Containers) != 1 {
			t.Fatalf("%s: restartPolicy %q and %d containers, want Never and 1", name, ps.RestartPolicy, len(ps.Containers))
		}
		if sc := ps.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
			t.Errorf("%s: the pod must run as a non-root user", name)
		}
		if len(ps.Volumes) == 0 || ps.Volumes[0].PersistentVolumeClaim == nil || ps.Volumes[0].PersistentVolumeClaim.ClaimName != pvc.Name {
			t.Errorf("%s: the first volume must be the claim %q", name, pvc.Name)
		}
		if m := ps.Containers[0].VolumeMounts; len(m) == 0 || m[0].Name != ps.Volumes[0].Name || m[0].MountPath != "/data" {
			t.Errorf("%s: the claim must be mounted at /data", name)
		}
	}
	if shards.Spec.CompletionMode == nil || *shards.Spec.CompletionMode != batchv1.IndexedCompletion || shards.Spec.Completions == nil {
		t.Fatal("shards-job.yaml: want completionMode Indexed and completions")
	}
	args := shards.Spec.Template.Spec.Containers[0].Args
	k = int(*shards.Spec.Completions)
	if s := flagValue(args, "--shard"); s != "env/"+strconv.Itoa(k) {
		t.Errorf("shards-job.yaml: --shard %q, want env/%d (completions %d)", s, k, k)
	}
	if out, in := flagValue(args, "--out"), merge.Spec.Template.Spec.Containers[0].Args; len(in) < 2 || in[0] != "merge" || in[1] != out {
		t.Errorf("merge-job.yaml: args %v do not merge the shards' folder %s", in, out)
	}
	return shards, merge, k
}

// flagValue returns the value after flag in args ("" when absent).
func flagValue(args []string, flag string) string {
	if i := slices.Index(args, flag); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

// TestK8sManifestsDecodeStrictly: the manifests are valid batch/v1 and
// core/v1 objects with no unknown field, and fit together; a misspelt
// field is refused.
func TestK8sManifestsDecodeStrictly(t *testing.T) {
	k8sManifests(t)
	for _, bad := range []string{
		"apiVersion: batch/v1\nkind: Job\nspec:\n  completionmode: Indexed\n",          // case
		"apiVersion: batch/v1\nkind: Job\nspec:\n  completion_mode: Indexed\n",         // unknown
		"apiVersion: batch/v1\nkind: Job\nspec:\n  completions: 4\n  completions: 5\n", // twice
	} {
		var j batchv1.Job
		if err := strictDecode([]byte(bad), &j); err == nil {
			t.Errorf("decoded:\n%s", bad)
		}
	}
}

// TestK8sIndexedJobLocally runs the Indexed Job as Kubernetes would, on
// this machine: the binary built once, K processes with the Job's own
// arguments and JOB_COMPLETION_INDEX = 0..K−1, the volume a shared temp
// folder (/data → it), then the merge Job's arguments. Only --paths is
// made small so that the test is fast. The merged document must equal the
// single process's (the Job's arguments without --shard and --out) byte
// for byte apart from run_info.
func TestK8sIndexedJobLocally(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it K + 2 times")
	}
	shards, merge, k := k8sManifests(t)
	data := t.TempDir()
	bin := filepath.Join(t.TempDir(), "danbao")
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the binary with: %v", err)
	}
	if b, err := exec.Command(goCmd, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	local := func(args []string) []string {
		out := slices.Clone(args)
		for i, a := range out {
			if a == "/data" || strings.HasPrefix(a, "/data/") {
				out[i] = data + strings.TrimPrefix(a, "/data")
			}
		}
		if i := slices.Index(out, "--paths"); i >= 0 {
			out[i+1] = "120"
		}
		return out
	}
	run := func(env []string, args []string) []byte {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), env...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Errorf("danbao %s (%v): %v\n%s", strings.Join(args, " "), env, err, stderr.String())
		}
		return stdout.Bytes()
	}

	shardArgs := local(shards.Spec.Template.Spec.Containers[0].Args)
	var wg sync.WaitGroup
	for i := range k { // the Job's parallelism: all at once
		wg.Go(func() { run([]string{fmt.Sprintf("%s=%d", shardIndexEnv, i)}, shardArgs) })
	}
	wg.Wait()
	mergeArgs := local(merge.Spec.Template.Spec.Containers[0].Args)
	run(nil, mergeArgs)
	if t.Failed() {
		t.FailNow()
	}
	got, err := os.ReadFile(flagValue(mergeArgs, "--out"))
	if err != nil {
		t.Fatal(err)
	}

	single := slices.Clone(shardArgs)
	for _, flag := range []string{"--shard", "--out"} {
		i := slices.Index(single, flag)
		single = slices.Delete(single, i, i+2)
	}
	want := run(nil, append(single, "--json"))
	if withoutRunInfo(t, string(got)) != withoutRunInfo(t, string(want)) {
		t.Errorf("the merged Job differs from one process\n%s", firstDiff(string(want), string(got)))
	}
	if !strings.Contains(string(got), fmt.Sprintf(`"count": %d`, k)) {
		t.Errorf("run_info does not list the %d shards", k)
	}
}
