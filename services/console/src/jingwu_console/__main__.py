from jingwu_console.main import run

run()
