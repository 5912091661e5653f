def to_proact(*a, **k):
    raise NotImplementedError
