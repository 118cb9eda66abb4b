# Sentiment classifier initialised from pretrained word vectors. The plan is to fine-tune
# the embeddings together with the LSTM, but a diff of the embedding matrix before and
# after training is exactly zero.
import torch
import torch.nn as nn


class SentimentLSTM(nn.Module):
    def __init__(self, vectors, hidden=32, n_classes=2):
        super().__init__()
        # start from GloVe and fine-tune it with the rest of the model
        self.embedding = nn.Embedding.from_pretrained(vectors, padding_idx=0)
        self.lstm = nn.LSTM(vectors.size(1), hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, n_classes)

    def forward(self, tokens, lengths):
        emb = self.embedding(tokens)
        packed = nn.utils.rnn.pack_padded_sequence(emb, lengths, batch_first=True,
                                                   enforce_sorted=False)
        _, (h, _) = self.lstm(packed)
        h = torch.cat([h[-2], h[-1]], dim=1)
        return self.fc(h)


def train(model, batches, optimizer, epochs=2):
    crit = nn.CrossEntropyLoss()
    for ep in range(epochs):
        for tokens, lengths, labels in batches:
            optimizer.zero_grad()
            loss = crit(model(tokens, lengths), labels)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
        print(ep, loss.item())


if __name__ == "__main__":
    torch.manual_seed(0)
    vocab, dim = 50, 12
    glove = torch.randn(vocab, dim)
    glove[0].zero_()
    model = SentimentLSTM(glove)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    batches = []
    for _ in range(4):
        lengths = torch.randint(3, 9, (8,))
        tokens = torch.zeros(8, 8, dtype=torch.long)
        for i, L in enumerate(lengths):
            tokens[i, :L] = torch.randint(1, vocab, (int(L),))
        batches.append((tokens, lengths, torch.randint(0, 2, (8,))))
    train(model, batches, optimizer)
