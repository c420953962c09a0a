"""Sign-in: the studio's own OpenID Connect provider (the offline default), and how the
studio and `veogen up` are configured to sign in with it or with any other."""
