from jingwu_operator.main import run

run()
