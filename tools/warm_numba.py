"""Compile, in one process, every numba kernel of librosa that avbook calls, so that parallel test workers only read
numba's on-disk cache (`$NUMBA_CACHE_DIR`) and never write the same entry at once."""
import numpy as np
import librosa

def main():
    sample_rate = 16000
    t = np.arange(sample_rate) / sample_rate
    y = (np.sin(2*np.pi*220*t) * (1 + np.sign(np.sin(2*np.pi*3*t)))/2).astype(np.float32)
    librosa.onset.onset_detect(y=y, sr=sample_rate)
    librosa.yin(y, fmin=60, fmax=1000, sr=sample_rate)
    S = librosa.feature.melspectrogram(y=y, sr=sample_rate, n_fft=512, hop_length=160, n_mels=64)
    librosa.amplitude_to_db(S); librosa.feature.rms(y=y); librosa.stft(y, n_fft=512); librosa.filters.mel(sr=sample_rate, n_fft=512)

if __name__ == '__main__': main()
