from .audio import AudioTagger
