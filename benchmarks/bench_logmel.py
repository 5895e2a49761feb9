"""Batched torch log-mel (`avbook.audio.log_mel`, VGGish settings) against librosa clip by clip.

Run: `python benchmarks/bench_logmel.py [--clips 64] [--seconds 1.0] [--repeats 7]`. Prints the median wall time of each
and their ratio, measured in this one run (they depend on the machine and its load; the candidates take turns in each
repeat so that a change of load hits them alike)."""
import argparse, statistics, time
import librosa
import numpy as np
import torch
from avbook.audio import PAPER_LOGMEL, log_mel

def librosa_log_mel(clip:np.ndarray, sample_rate:int)->np.ndarray:
    "The same features with librosa, one clip: VGGish framing (frames start at 160 k) via 56 zeros on each side."
    kw = PAPER_LOGMEL['vggish']
    padded = np.pad(clip, (56, 56))
    mel = librosa.feature.melspectrogram(y=padded, sr=sample_rate, n_fft=kw['n_fft'], hop_length=kw['hop_length'], win_length=kw['win_length'],
                                         center=False, power=kw['power'], n_mels=kw['n_mels'], fmin=kw['f_min_hz'], fmax=kw['f_max_hz'],
                                         htk=True, norm=None)
    return np.log(mel + kw['log_offset'])

def one_thread(fn):
    "Run `fn` with torch limited to one thread."
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try: return fn()
    finally: torch.set_num_threads(threads)

def median_times(candidates:dict, repeats:int)->dict:
    "Median wall time of each candidate; the candidates take turns in every repeat."
    for fn in candidates.values(): fn()  # warm-up
    times = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            start = time.perf_counter(); fn(); times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clips', type=int, default=64)
    parser.add_argument('--seconds', type=float, default=1.0)
    parser.add_argument('--repeats', type=int, default=7)
    args = parser.parse_args()
    sample_rate, threads = 16000, torch.get_num_threads()
    clips = np.random.default_rng(0).standard_normal((args.clips, 1, int(args.seconds * sample_rate))).astype(np.float32) * 0.1
    batch = torch.from_numpy(clips)
    ours = log_mel(batch, sample_rate)
    theirs = np.stack([librosa_log_mel(c[0], sample_rate) for c in clips])[:, None]
    with torch.inference_mode():
        t = median_times({'torch': lambda: log_mel(batch, sample_rate),
                          'torch_1': lambda: one_thread(lambda: log_mel(batch, sample_rate)),
                          'librosa': lambda: [librosa_log_mel(c[0], sample_rate) for c in clips]}, args.repeats)
    print(f"log-mel (VGGish settings) of {args.clips} clips x {args.seconds:g} s at {sample_rate} Hz, output {tuple(ours.shape)}")
    print(f"repeats: {args.repeats}, interleaved (median wall time of each)")
    print(f"avbook.audio.log_mel, one batched call, {threads} torch threads: {t['torch'] * 1e3:8.2f} ms")
    print(f"avbook.audio.log_mel, one batched call, 1 torch thread:  {t['torch_1'] * 1e3:8.2f} ms")
    print(f"librosa, clip by clip:                                 {t['librosa'] * 1e3:8.2f} ms")
    print(f"speed ratio librosa / torch ({threads} threads):                {t['librosa'] / t['torch']:8.1f} x")
    print(f"speed ratio librosa / torch (1 thread):                 {t['librosa'] / t['torch_1']:8.1f} x")
    print(f"max |difference| of the features:                      {float(np.abs(ours.numpy() - theirs).max()):.1e}")

if __name__ == '__main__': main()
