"""示例区: the fictional demo district that ``minyi demo load`` puts into an empty database."""
