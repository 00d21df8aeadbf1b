from kerazoo.layers.one_hot import OneHot
