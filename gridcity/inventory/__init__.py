"""Component inventory (部件): the city's manhole covers, lights, bins, signs…"""
