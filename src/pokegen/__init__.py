"""pokegen: autoencoders, VAEs and GANs for small image collections."""
